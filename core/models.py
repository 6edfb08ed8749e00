"""Model building blocks shared by the apps."""

from django.conf import settings
from django.db import models


class Owned(models.Model):
    """
    A row that belongs to a signed-in user, or to an anonymous browser session
    (see core.owners.Owner, which filters and creates such rows).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="%(app_label)s_%(class)ss",
    )
    guest_id = models.CharField(max_length=64, blank=True, default="", db_index=True)

    class Meta:
        abstract = True
