"""Local state for Analytics: mirrors of the platform, jobs and snapshots."""
