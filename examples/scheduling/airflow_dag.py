"""An Airflow DAG that renders the packs each quarter: the company's and one per region, for
the quarter that just ended, then mails each audience its pack.

Copy it into your DAGs folder and set SPM_HOME (the checkout, with `make install` done),
SPM_DATA (the CRM export, database file or URL with ${PASSWORD} from the environment) and
SPM_OUT (the reports folder; it keeps every period). `spm run` exits 1 when some report failed
(the pack still renders, the index says which), 2 when the data cannot be read and 75 when
another run holds the folder: Airflow marks the task failed and retries it.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex

from airflow import DAG
from airflow.operators.bash import BashOperator

SPM_HOME = os.environ.get("SPM_HOME", "/srv/spm")
# relative periods: the run's own clock picks the quarter, so a backfill reruns the same DAG
SPM_ARGS = [
    "run",
    "--data",
    "{{ var.value.get('spm_data', '/srv/crm-export') }}",
    "--period",
    "last-quarter",
    "--segment-by",
    "region",
    "--out",
    "{{ var.value.get('spm_out', '/srv/reports') }}",
    "--jobs",
    "2",
    "--quiet",
]
MAIL_ARGS = [
    "--out",
    "{{ var.value.get('spm_out', '/srv/reports') }}",
    "--period",
    "latest",
    "--recipients",
    "{{ var.value.get('spm_recipients', '/srv/spm/recipients.yaml') }}",
    "--smtp",
    "{{ var.value.get('smtp_host', 'localhost:25') }}",
    "--sender",
    "sales-ops@example.com",
]

with DAG(
    dag_id="spm_quarterly_packs",
    schedule="0 6 2 1,4,7,10 *",  # 06:00 on the 2nd day of each quarter
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=15)},
    tags=["spm"],
) as dag:
    render = BashOperator(
        task_id="render_packs",
        bash_command=f"cd {SPM_HOME} && .venv/bin/spm " + " ".join(map(shlex.quote, SPM_ARGS)),
    )
    mail = BashOperator(
        task_id="mail_packs",
        bash_command=f"cd {SPM_HOME} && .venv/bin/python examples/scheduling/mail_packs.py "
        + " ".join(map(shlex.quote, MAIL_ARGS)),
    )
    render >> mail
