"""What the campaigns app asks of the apps above it (apps.core.hooks)."""

from apps.core.hooks import Hook

#: Answered by analytics' list hygiene: how many addresses of a list failed permanently in earlier
#: campaigns and are still in it (kwargs account, list_id; each answer an int).
suppressed_in_list = Hook("campaigns.suppressed_in_list")
