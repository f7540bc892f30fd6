"""The Python part of the Zaby benchmarks (issue 10): the SDK side by side with httpx."""
