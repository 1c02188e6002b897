"""The operator's staff on the server: their accounts, roles and sessions (`accounts`,
`roles`), the guard every staff route declares (`guard`), and their login API (`routes`)."""
