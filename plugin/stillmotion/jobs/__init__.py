"""Durable work: the job ledger, the price table and budget guard, and the generate pipeline."""
