"""Output formats (CSV, and over time text, JSON, JUnit, HTML) shared by the CLI, the reports and the pages."""
