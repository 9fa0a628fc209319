"""Local state for Contacts: mirrors of the platform, jobs and snapshots."""
