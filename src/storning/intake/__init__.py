"""Intake: the tenancy register, night-patrol (störningsjour) reports, the complainant's own diary and
evidence files, and the queue where an officer takes what arrives."""
