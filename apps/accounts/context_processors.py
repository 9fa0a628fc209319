from .selectors import sub_accounts_for


def current_account(request):
    account = getattr(request, "account", None)
    # SimpleLazyObject wrapping None is truthy; unwrap to a real None for templates.
    account = account if account else None
    scope = getattr(request, "scope", None) if account is not None else None
    can_switch = bool(account is not None and account.is_agent_or_manager)
    return {
        "current_account": account,
        "current_scope": scope,
        # The header's sub-account switcher (agents and administrators only).
        "scope_choices": sub_accounts_for(account=account) if can_switch else [],
        "can_switch_scope": can_switch,
    }
