"""Outcomes of eviction prevention (DOMAIN §8): the facts the measures need, the measures, their
charts, exports and the annual report."""
