"""zaby-server side by side with LangGraph's dev server (issue 17): one Python asyncio
client (httpx) for both, alternating rounds."""
