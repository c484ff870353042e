from django.conf import settings


def studio(request):
    """What every page's chrome needs: the user's brands and whether a model is connected."""
    from studio.permissions import brands_for

    user = getattr(request, "user", None)
    brands = list(brands_for(user)) if user is not None and user.is_authenticated else []
    return {
        "nav_brands": brands,
        "llm_connected": bool(settings.OPENAI_BASE_URL or settings.OPENAI_API_KEY),
    }
