"""Intents, lifecycle stages and offers, with the descriptions the prompt and the composer use."""

from __future__ import annotations

from django.db import models


class Intent(models.TextChoices):
    CART_ABANDONMENT = "cart_abandonment", "Cart abandonment"
    BROWSE_ABANDONMENT = "browse_abandonment", "Browse abandonment"
    WELCOME = "welcome", "Welcome"
    REPLENISHMENT = "replenishment", "Replenishment"
    POST_PURCHASE_CROSS_SELL = "post_purchase_cross_sell", "Post-purchase cross-sell"
    WIN_BACK = "win_back", "Win-back"
    BACK_IN_STOCK = "back_in_stock", "Back in stock"
    PRICE_DROP = "price_drop", "Price drop"


class Stage(models.TextChoices):
    FIRST_TIME_BROWSER = "first_time_browser", "First-time browser"
    NEW_CUSTOMER = "new_customer", "New customer"
    ACTIVE = "active", "Active"
    REPEAT_BUYER = "repeat_buyer", "Repeat buyer"
    LAPSING = "lapsing", "Lapsing"
    CHURNED = "churned", "Churned"


class OfferKind(models.TextChoices):
    NONE = "none", "No offer"
    FREE_SHIPPING = "free_shipping", "Free shipping"
    PERCENT_OFF = "percent_off", "Percent off"


INTENT_DESCRIPTIONS: dict[str, str] = {
    Intent.CART_ABANDONMENT: "The person added items to the cart and left without buying. "
    "Remind them what they picked and make finishing the order easy.",
    Intent.BROWSE_ABANDONMENT: "The person looked at products but added nothing to the cart. "
    "Bring back what caught their eye without pressure.",
    Intent.WELCOME: "The person just joined the SMS list. Thank them, set expectations, "
    "point to something useful.",
    Intent.REPLENISHMENT: "A consumable they bought is likely running low. "
    "Offer an easy reorder at the right time.",
    Intent.POST_PURCHASE_CROSS_SELL: "They recently bought something. Suggest a product "
    "that genuinely goes with it.",
    Intent.WIN_BACK: "They have not bought in a long while. Re-engage with what is new "
    "or a reason to come back.",
    Intent.BACK_IN_STOCK: "An item they wanted is available again. Tell them plainly.",
    Intent.PRICE_DROP: "An item they looked at now costs less. State the new price "
    "factually, no false urgency.",
}

STAGE_DESCRIPTIONS: dict[str, str] = {
    Stage.FIRST_TIME_BROWSER: "Has never bought; does not know the brand yet. Reassure: "
    "returns, quality, help.",
    Stage.NEW_CUSTOMER: "Bought once recently. Build confidence and a second visit.",
    Stage.ACTIVE: "Buys regularly. Be useful and brief; no hard sell.",
    Stage.REPEAT_BUYER: "Loyal, several orders. Recognise the loyalty; insider tone.",
    Stage.LAPSING: "Activity is dropping. Remind them of value; a gentle nudge.",
    Stage.CHURNED: "Gone quiet for a long time. Lead with what is new; low pressure.",
}
