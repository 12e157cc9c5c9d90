"""Writes static/leadflow/sounds/chime.wav, the workspace's alert (issue 16 §5): two short sine tones
(E6 then A5) with a soft attack and decay, 0.45 s, 22.05 kHz mono 16-bit. Generated, not downloaded;
run it again only to change the sound:  .venv/bin/python tools/chime_wav.py
"""

import math
import struct
import wave
from pathlib import Path

RATE = 22050
TONES = ((1318.5, 0.18), (880.0, 0.27))  # (Hz, seconds)
OUT = Path(__file__).resolve().parent.parent / "static" / "leadflow" / "sounds" / "chime.wav"


def samples():
    for freq, seconds in TONES:
        count = int(RATE * seconds)
        for i in range(count):
            attack = min(1.0, i / (0.01 * RATE))
            decay = math.exp(-4.0 * i / count)
            yield 0.45 * attack * decay * math.sin(2 * math.pi * freq * i / RATE)


def main():
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", int(v * 32767)) for v in samples()))
    print(OUT)


if __name__ == "__main__":
    main()
