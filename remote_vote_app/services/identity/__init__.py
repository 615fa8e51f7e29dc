"""Who is acting: voter logins (SMS codes, QR, FaceID, eID), sessions and the assurance a session
carries, staff accounts with TOTP, rate limits. May import: reference and below."""
