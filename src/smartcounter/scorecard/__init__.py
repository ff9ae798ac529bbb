"""Staff scorecards (BSC 考核): per staff member and quarter, figures, parts and a weighted score."""
