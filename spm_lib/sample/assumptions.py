"""The sample company's planted assumptions: its shape, its rates and the effects later reports
must recover (written to ``ground_truth.json`` by :func:`spm_lib.sample.simulate.generate`).

One place for every constant the simulation plants; :mod:`spm_lib.sample.simulate` reads them.
Changing one changes the sample: bump :data:`SAMPLE_FORMAT` when the tables change.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

END_DATE = dt.date(2026, 9, 30)
SAMPLE_FORMAT = 6  # bumped when the tables change; a bundled sample of another is rewritten
DEFAULT_SEED = 42
DEFAULT_REPS = 60
DEFAULT_YEARS = 4
WARMUP_MONTHS = 6

REGIONS = ["East", "Central", "West"]
SEGMENTS = ["Enterprise", "Commercial"]
INDUSTRIES = [
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Energy",
    "Education",
    "Logistics",
]
INDUSTRY_WEIGHTS = [0.2, 0.15, 0.14, 0.14, 0.12, 0.08, 0.08, 0.09]
OPEN_STAGES = ["Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation"]
BASE_PASS = np.array([0.70, 0.75, 0.72, 0.78, 0.72])
STAGE_DAYS = np.array([6.0, 9.0, 14.0, 16.0, 12.0])
PRODUCTS = ["Core", "Pro", "Suite", "Add-on"]
PRODUCT_PRICE = np.array([18_000.0, 42_000.0, 95_000.0, 7_000.0])
PRODUCT_MIX = {"Enterprise": [0.25, 0.35, 0.30, 0.10], "Commercial": [0.50, 0.25, 0.05, 0.20]}
SEGMENT_SIZE = {"Enterprise": 1.6, "Commercial": 0.8}
SEGMENT_RATE = {"Enterprise": 5.0, "Commercial": 13.0}  # new opportunities per rep-month
SEGMENT_CYCLE = {"Enterprise": 1.4, "Commercial": 1.0}
LEAD_SOURCES = ["Inbound", "Outbound", "Partner", "Event", "Referral"]
LEAD_SOURCE_WEIGHTS = [0.35, 0.30, 0.15, 0.10, 0.10]
LEAD_SOURCE_WIN = np.array([1.0, 0.85, 1.15, 0.9, 1.3])
# deal size by lead source, scaled so that the average deal is unchanged
LEAD_SOURCE_SIZE = np.array([1.0, 1.15, 1.25, 0.9, 1.1])
LEAD_SOURCE_SIZE = LEAD_SOURCE_SIZE / np.dot(LEAD_SOURCE_SIZE, LEAD_SOURCE_WEIGHTS)
# Created-month seasonality: a summer dip and a strong autumn.
CREATED_SEASONALITY = np.array([0.95, 1.0, 1.05, 1.0, 1.05, 0.9, 0.8, 0.8, 1.05, 1.15, 1.1, 0.85])
GROWTH_PER_YEAR = 0.12
RAMP_TAU_MONTHS = 3.5
QUOTA_RAMP = [0.0, 0.25, 0.5, 0.75, 1.0]  # by month of tenure, then 100%
QUARTER_END_PULL = {"probability": 0.6, "days_into_quarter": 14}
WEAKNESS_MULTIPLIER = 0.6
STRENGTH_MULTIPLIER = 1.6
CANCEL_SHARE = 0.02  # won deals later cancelled (clawbacks)
SPLIT_SHARE = 0.03  # won deals whose credit is split with a teammate
SKILL_RECORDED = 0.8  # share of planted strengths the enablement system records (level 4-5)
MODULES = {
    # module: (stage it builds, multiplier on that stage's conversion after completion)
    "Qualification Fundamentals": ("Qualification", 1.0),
    "Discovery Mastery": ("Discovery", 1.25),
    "Value Proposals": ("Proposal", 1.0),
    "Negotiation Skills": ("Negotiation", 1.2),
}
TRAINING_UPTAKE = 0.4
ACTIVITY_TYPES = ["Call", "Email", "Meeting", "Demo"]
ACTIVITY_WEIGHTS = [0.45, 0.35, 0.15, 0.05]

FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kara",
    "Luis",
    "Maya",
    "Nikhil",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xin",
    "Yara",
    "Zoe",
    "Aaron",
    "Bianca",
    "Caleb",
    "Dana",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nora",
]
LAST = [
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Kim",
    "Lopez",
    "Meyer",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Weber",
    "Xu",
    "Young",
    "Zhang",
    "Arslan",
    "Brooks",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gupta",
    "Haddad",
    "Iqbal",
    "Jovanovic",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
]
ACCOUNT_WORDS = [
    "Northwind",
    "Bluepeak",
    "Cedar",
    "Ironbridge",
    "Lumen",
    "Harbor",
    "Summit",
    "Vertex",
    "Granite",
    "Silverline",
    "Redwood",
    "Crescent",
    "Pioneer",
    "Atlas",
    "Beacon",
    "Keystone",
    "Meridian",
    "Orchid",
    "Quarry",
    "Sterling",
]
ACCOUNT_SUFFIX = ["Inc", "Group", "LLC", "Partners", "& Co", "Holdings", "Systems", "Labs"]
