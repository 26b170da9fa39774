"""The conversation engine: understanding, flows, guards, confirmation, replies, memory, handoff."""
