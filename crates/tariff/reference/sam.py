#!/usr/bin/env python3
"""Monthly energy charges from NREL's System Advisor Model for the
reference load under each tariff, written to sam.json beside this script.

The engine's test (crates/sandbox/src/tariffs.rs,
`the_engine_matches_sam_within_a_cent_a_month`) prices the same load under
the same files and compares month by month; it reads sam.json, so the
tests need neither Python nor SAM. Run this again when a tariff or the
reference load changes:

    python3 -m venv /tmp/sam && /tmp/sam/bin/pip install nrel-pysam==7.1.1.post1
    /tmp/sam/bin/python crates/tariff/reference/sam.py

SAM's year has 365 days and starts on a Monday (as 2018 did), with no
daylight saving; the test places the load the same way. Each record is
converted with PySAM's own URDB reader (UtilityRateTools.URDBv8_to_ElectricityRates).
"""

import copy
import json
import pathlib
import subprocess

import PySAM
import PySAM.Utilityrate5 as Utilityrate5
from PySAM.UtilityRateTools import URDBv8_to_ElectricityRates

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SANDBOX = ["electric.json", "tiered.json", "electric-vehicle.json"]


def cargo(*args):
    command = ["cargo", "run", "-q", "-p", "pelm-sandbox", "--example", "tariff_reference", "--", *args]
    return subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def monthly_energy_charges(record, load):
    model = Utilityrate5.new()
    model.Lifetime.analysis_period = 1
    model.Lifetime.system_use_lifetime_output = 0
    model.Lifetime.inflation_rate = 0
    model.SystemOutput.gen = [0.0] * len(load)
    model.SystemOutput.degradation = [0]
    model.Load.load = load
    model.Load.load_escalation = [0]
    # The converter adds one to the schedules in place: give it a copy.
    model.ElectricityRates.assign(URDBv8_to_ElectricityRates(copy.deepcopy(record)))
    rates = model.ElectricityRates
    rates.rate_escalation = [0]
    rates.ur_nm_yearend_sell_rate = 0
    rates.ur_yearzero_usage_peaks = [0] * 12
    rates.TOU_demand_single_peak = 0
    rates.ur_sell_eq_buy = 0
    rates.ur_en_ts_sell_rate = 0
    rates.ur_en_ts_buy_rate = 0
    rates.ur_nm_credit_month = 11
    rates.ur_nm_credit_rollover = 0
    rates.ur_dc_enable = 0
    model.execute(0)
    # Year 1 of the lifetime outputs, dollars of energy charges per month.
    return [round(model.Outputs.charge_w_sys_ec_ym[1][m], 6) for m in range(12)]


def main():
    # kWh in each 15 minutes; SAM takes the load in kW.
    load = [float(line) * 4 for line in cargo("load").split()]
    assert len(load) == 35040, len(load)
    records = {}
    for name in SANDBOX:
        for i, item in enumerate(json.loads(cargo("tariff", name))["items"]):
            records[f"sandbox/{name}#{i}"] = item
    for path in sorted((HERE / "tariffs").glob("*.json")):
        for i, item in enumerate(json.loads(path.read_text())["items"]):
            records[f"{path.name}#{i}"] = item
    out = {
        "generator": f"NREL PySAM {PySAM.__version__}, Utilityrate5",
        "load": "pelm_sandbox::tariffs::reference_load(), 35,040 quarter hours from Monday 1 January",
        "monthly_energy_charges": {key: monthly_energy_charges(record, load) for key, record in records.items()},
    }
    (HERE / "sam.json").write_text(json.dumps(out, indent=1) + "\n")
    for key, charges in out["monthly_energy_charges"].items():
        print(f"{key:40} {sum(charges):10.2f}")


if __name__ == "__main__":
    main()
