"""The data files an office owns: territory, service catalogue and staff (parse, check, import)."""
