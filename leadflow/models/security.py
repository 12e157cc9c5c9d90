from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SecurityPolicy(models.Model):
    """The director's security settings: one row (pk=1); a missing row means every default."""

    SINGLETON_PK = 1

    require_2fa_for_managers = models.BooleanField(
        _("require two-factor sign-in for managers, directors and admins"), default=False
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(pk=cls.SINGLETON_PK)
