"""Notifications, as Traccar users expect them: each user chooses, per event type, to be told by e-mail
or by webhook. A background worker (`worker.NotificationWorker`) turns new alerts and maintenance
proposals from the gateway's change log into queued deliveries and sends them with retries and backoff;
neither the ingest nor a page ever waits for a mail server or a webhook."""
