"""Local state for Templates: mirrors of the platform, jobs and snapshots."""
