"""What the campaigns app asks of the apps above it (apps.core.hooks)."""

from apps.core.hooks import Hook

#: Answered by analytics' list hygiene: how many addresses of a list failed permanently in earlier
#: campaigns and are still in it (kwargs account, list_id; each answer an int).
suppressed_in_list = Hook("campaigns.suppressed_in_list")

#: Answered by experiments: run a draft's A/B plan (kwargs account, user, draft); each answer is
#: the URL of the page to show next. Raises what campaign_submit raises.
submit_ab_plan = Hook("campaigns.submit_ab_plan")

#: Extra context for the campaigns list (kwargs account; each answer a dict).
index_context = Hook("campaigns.index_context")

#: Extra context for one campaign's page (kwargs campaign; each answer a dict).
detail_context = Hook("campaigns.detail_context")
