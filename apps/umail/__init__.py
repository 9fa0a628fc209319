"""The U-Mail platform client: the only code in the portal that speaks HTTP/XML to the platform."""
