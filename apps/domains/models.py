"""Local state for Domains: mirrors of the platform, jobs and snapshots."""
