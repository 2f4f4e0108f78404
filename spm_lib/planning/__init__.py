"""Planning: next period's quotas (:mod:`.quotas`) and commission rates
(:mod:`.commission_rates`)."""
