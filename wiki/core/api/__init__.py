"""Pure pieces of the JSON API and its webhooks: problem documents (RFC 9457), opaque
pagination cursors, HMAC signatures and the classification of webhook target addresses."""
