from celery import shared_task


@shared_task(name="copygen.run_generation_request", acks_late=True)
def run_generation_request(request_id: int) -> str:
    from copygen.services.generation import run_generation

    return run_generation(request_id).status
