def current_account(request):
    account = getattr(request, "account", None)
    # SimpleLazyObject wrapping None is truthy; unwrap to a real None for templates.
    return {"current_account": account if account else None}
