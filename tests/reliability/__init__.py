"""Issue 8: reliability and security tests, end to end (real server process over stdio, stand-in
Ollama as a separate process), plus property-based tests of the language core."""
