"""The CKAN bridge: maps portal datasets to CKAN packages and keeps them in sync.

Off unless ``CKAN_URL`` is set. Changes go through an outbox
(``CkanOutbox``) processed by the task worker, so a CKAN outage loses nothing.
"""
