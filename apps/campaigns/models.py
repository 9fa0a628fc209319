"""Local state for Campaigns: mirrors of the platform, jobs and snapshots."""
