"""Static analysis of a library beyond lint: the paths a session can take and what they
cost the customer."""
