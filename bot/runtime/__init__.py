"""The worker process: the event worker and its dispatcher, the outbox sender, the scheduler and
its jobs, the learning NLU service, and the Runtime that runs them together."""
