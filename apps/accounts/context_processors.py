from .selectors import sub_accounts_for


def current_account(request):
    account = getattr(request, "account", None)
    # SimpleLazyObject wrapping None is truthy; unwrap to a real None for templates.
    account = account if account else None
    scope = getattr(request, "scope", None) if account is not None else None
    # An agent's sub-account is its own platform account (parent = the agent's): the switcher
    # still lists the agent's sub-accounts, with this one selected.
    base = account.parent if account is not None and account.parent_id else account
    can_switch = bool(base is not None and base.is_agent_or_manager)
    choices = sub_accounts_for(account=base) if can_switch else []
    if base is not account:
        current = next((s for s in choices if s.platform_account_id == account.pk), None)
        current_id, current_name = (
            (current.customer_id, current.display_name)
            if current
            else (
                "",
                account.username,
            )
        )
    elif scope is not None and scope.is_sub_account:
        current_id, current_name = scope.customer_id, scope.label
    else:
        current_id, current_name = "", ""
    return {
        "current_account": account,
        "current_scope": scope,
        # The header's sub-account switcher (agents and administrators only).
        "scope_choices": choices,
        "can_switch_scope": can_switch,
        "current_sub_customer_id": current_id,
        "current_sub_name": current_name,
    }
