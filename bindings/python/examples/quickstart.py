"""Fetch one visitor's experiences, use their payloads, report exposures.

Usage: python quickstart.py BASE_URL TRACKING_ID CONTEXT_ID
"""

import sys

import qubit_experiences as qe


def main(base_url: str, tracking_id: str, context_id: str) -> None:
    # One client per process, shared by every thread.
    with qe.Client(tracking_id, base_url=base_url, timeout=0.5) as client:
        # Fail-open: on any error the answer is empty and the page renders
        # its defaults; answer.error says why.
        answer = client.get_experiences_fail_open(context_id)
        for experience in answer:
            print(f"experience {experience.id}: {experience.payload_json}")
            client.shown_later(experience, answer.context_id)
    # Leaving the block closes the client, which delivers queued callbacks.


if __name__ == "__main__":
    main(*sys.argv[1:4])
