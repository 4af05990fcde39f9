"""The store's typed constraint errors on PostgreSQL: starts a PostgreSQL of its own and runs the
unit test tests/unit/store_constraints_test.c against it (the unit run covers SQLite)."""
# services: embedded only
import os
import subprocess
import tempfile
import unittest

import services
from harness import STRATA_BIN, main


class StoreConstraintsTest(unittest.TestCase):
    def test_each_failed_constraint_is_typed_on_postgresql(self):
        folder = tempfile.mkdtemp(prefix="strata-constraints-")
        pg = services.Postgres(os.path.join(folder, "pg"))
        try:
            s = pg.settings("constraints")
            password = s["pg_password"].replace("\\", "\\\\").replace("'", "\\'")
            host, port = s["pg_netloc"].split(":")
            conninfo = (f"host={host} port={port} user={s['pg_user']} password='{password}' "
                        f"dbname={s['pg_dbname']} sslmode=disable")
            binary = os.path.join(os.path.dirname(STRATA_BIN), "tests", "store_constraints_test")
            p = subprocess.run([binary, "--jobs", "1", "--filter", "store_constraints_pg/*"],
                               env=dict(os.environ, STRATA_TEST_PG_CONNINFO=conninfo),
                               capture_output=True, text=True, timeout=120)
            out = p.stdout + p.stderr
            self.assertEqual(p.returncode, 0, out)
            self.assertIn("Passing: 1", out)
            self.assertIn("foreign key constraint", out)  # the cause went to the log
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
