"""Two-factor sign-in (issue 12 §3): TOTP devices and one-time backup codes from django-otp, the
director's requirement for managers, and the gate that keeps an unverified session on the code page.
See docs/security.md."""
