"""`make lint`'s dependency audit: pip-audit over the project's virtualenv. Fails on a known
vulnerability; skipped, with a message, when pip-audit's data cannot be reached (offline, or
a package index mirror without PyPI's vulnerability API, where every package is "not found")."""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    try:
        result = subprocess.run(  # noqa: S603 (our own venv's pip-audit, fixed arguments)
            [str(PIP_AUDIT), "--progress-spinner", "off", "--format", "json", "--skip-editable"],
            check=False,  # it exits 1 on a finding: the JSON report says which
            capture_output=True,
            text=True,
            timeout=300,
        )
        report = json.loads(result.stdout)
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError):
        print("pip-audit skipped: its vulnerability data cannot be reached from here")
        return 0
    audited = [dep for dep in report.get("dependencies", []) if "skip_reason" not in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        return 1
    if not audited:
        print("pip-audit skipped: the package index answered, but without vulnerability data (a mirror?)")
        return 0
    print(f"pip-audit: {len(audited)} packages, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
