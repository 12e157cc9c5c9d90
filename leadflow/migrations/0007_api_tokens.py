"""Intake tokens become API tokens: a kind (intake for one source, telephony), the key stored only as
its SHA-256 (existing keys keep working: their hash is computed here), expiry, revocation, rotation,
rate limit, who created them and where they were last used from; and the security log."""

import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def hash_existing_keys(apps, schema_editor):
    ApiToken = apps.get_model("leadflow", "ApiToken")
    for token in ApiToken.objects.all():
        token.key_hash = hashlib.sha256(token.key.encode()).hexdigest()
        token.prefix = token.key[:10]
        token.save(update_fields=["key_hash", "prefix"])


class Migration(migrations.Migration):
    dependencies = [
        ("leadflow", "0006_verbose_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("IntakeToken", "ApiToken"),
        migrations.AlterModelOptions(
            name="apitoken",
            options={"ordering": ["-created_at"], "verbose_name": "API token", "verbose_name_plural": "API tokens"},
        ),
        migrations.AddField(
            model_name="apitoken",
            name="kind",
            field=models.CharField(
                choices=[("intake", "Lead intake"), ("telephony", "Telephony")],
                default="intake",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="source",
            field=models.ForeignKey(
                blank=True,
                help_text="Lead intake only: the source whose leads this token delivers.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tokens",
                to="leadflow.source",
                verbose_name="source",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="prefix",
            field=models.CharField(default="", editable=False, max_length=10, verbose_name="key starts with"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(hash_existing_keys, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="apitoken", name="key"),
        migrations.AlterField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="is_active",
            field=models.BooleanField(
                default=True, help_text="Revoke a token instead of deleting it.", verbose_name="active"
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, help_text="Empty: never expires.", null=True, verbose_name="expires"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="rate_limit",
            field=models.CharField(
                blank=True,
                help_text="Requests per period, e.g. 600/m or 20/s. Empty: the default (API_TOKEN_RATE).",
                max_length=20,
                verbose_name="rate limit",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="last_used_ip",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="last used from"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="revoked"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="revoked by",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="rotated_from",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="leadflow.apitoken",
                verbose_name="replaces",
            ),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "intake"), ("source__isnull", False)),
                    models.Q(("kind", "telephony"), ("source__isnull", True)),
                    _connector="OR",
                ),
                name="api_token_intake_has_source_telephony_none",
            ),
        ),
        migrations.CreateModel(
            name="SecurityEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("token_issued", "Token issued"),
                            ("token_revoked", "Token revoked"),
                            ("token_rotated", "Token rotated"),
                            ("revoked_token_used", "Revoked token used"),
                            ("expired_token_used", "Expired token used"),
                            ("unknown_token_used", "Unknown token used"),
                        ],
                        max_length=40,
                        verbose_name="event",
                    ),
                ),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="when")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                ("detail", models.CharField(blank=True, max_length=300, verbose_name="detail")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="who",
                    ),
                ),
                (
                    "token",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leadflow.apitoken",
                        verbose_name="API token",
                    ),
                ),
            ],
            options={"verbose_name": "security event", "verbose_name_plural": "security log", "ordering": ["-at", "-pk"]},
        ),
    ]
