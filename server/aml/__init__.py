"""Anti-money-laundering: customer due diligence, sanctions and PEP screening, the
configurable rules, and the cases they open for staff."""
