"""Talking to video-job services: models, the /v1/videos client, retries, polling, webhooks."""
