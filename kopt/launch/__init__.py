"""Launch-time helpers that generated launchers import (`cdiv`, `next_power_of_2`, `dot_tiles`).

A leaf: it imports nothing of kopt but `kopt.errors`, so a generated launcher loads it without
importing the compiler, and every layer may import it.
"""
