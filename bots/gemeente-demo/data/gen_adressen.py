#!/usr/bin/env python3
"""gen_adressen.py - writes adressen.csv, the fictional address table of "Gemeente Demo"
used by the built-in geo.lookup / geo.search backend (src/integrations/builtin_geo.c).

Deterministic: the same script always writes the same file (no randomness, fixed rounding).
The streets, postcodes and coordinates are made up; they only look plausible (two villages a
few kilometres apart, houses on both sides of each street, about 8 m apart).

Usage: python3 gen_adressen.py > adressen.csv
"""
import math
import sys

# Demostad's centre (Raadhuisplein) and Noorddorp's (Brink), WGS84.
DEMOSTAD = (52.0900, 5.6500)
NOORDDORP = (52.1180, 5.6620)

M_PER_DEG_LAT = 111320.0

# (street, village, postcode digits, start offset north m, start offset east m,
#  bearing in degrees (0 = north, 90 = east), number of houses)
STREETS = [
    ("Raadhuisplein", "Demostad", "4321", 0, 0, 90, 12),
    ("Kerkstraat", "Demostad", "4321", 40, -300, 80, 60),
    ("Marktplein", "Demostad", "4321", -60, 40, 180, 16),
    ("Molenweg", "Demostad", "4322", 120, 200, 30, 40),
    ("Stationsplein", "Demostad", "4322", -700, -200, 90, 10),
    ("Julianalaan", "Demostad", "4322", -300, -600, 0, 36),
    ("Beatrixstraat", "Demostad", "4323", -350, -450, 100, 30),
    ("Schoolstraat", "Demostad", "4323", 250, -150, 170, 24),
    ("Lindelaan", "Demostad", "4323", 500, 300, 95, 30),
    ("Eikenlaan", "Demostad", "4324", 650, 250, 10, 26),
    ("Havenkade", "Demostad", "4324", -200, 500, 150, 22),
    ("Parkweg", "Demostad", "4324", -500, 300, 60, 20),
    ("Noorderweg", "Demostad", "4324", 800, 0, 5, 20),
    ("Dorpsstraat", "Noorddorp", "4325", 0, -150, 85, 30),
    ("Brink", "Noorddorp", "4325", 30, 0, 0, 8),
    ("Akkerweg", "Noorddorp", "4326", 200, -100, 20, 16),
    ("Veldstraat", "Noorddorp", "4326", -150, 100, 120, 14),
]

# Extra letters and additions on a few numbers (as in real BAG data).
LETTERS = {("Kerkstraat", 12): ["A", "B"], ("Molenweg", 7): ["A"], ("Dorpsstraat", 3): ["A"]}
ADDITIONS = {("Kerkstraat", 14): ["1", "2", "3"], ("Havenkade", 10): ["1", "2"],
             ("Stationsplein", 2): ["1", "2", "3", "4"]}
PAIRS = "ABCDEFGHJKLMNPRTVWXZ"  # postcode letter pairs start with these, never SA/SD/SS


def move(origin, north_m, east_m):
    lat = origin[0] + north_m / M_PER_DEG_LAT
    lon = origin[1] + east_m / (M_PER_DEG_LAT * math.cos(math.radians(origin[0])))
    return lat, lon


def main():
    out = sys.stdout
    out.write("postcode,huisnummer,huisletter,huisnummertoevoeging,straatnaam,woonplaatsnaam,lat,lon\n")
    for si, (street, village, pc, n0, e0, bearing, count) in enumerate(STREETS):
        centre = DEMOSTAD if village == "Demostad" else NOORDDORP
        b = math.radians(bearing)
        for num in range(1, count + 1):
            along = 8.0 * ((num - 1) // 2) + 4.0   # two houses per 8 m, one each side
            side = 9.0 if num % 2 else -9.0
            north = n0 + along * math.cos(b) - side * math.sin(b)
            east = e0 + along * math.sin(b) + side * math.cos(b)
            lat, lon = move(centre, north, east)
            # One postcode per 20 numbers of a street, as PostNL delivery routes go.
            pair = PAIRS[si % len(PAIRS)] + "ABCDEFGHJKLMNPRTVWXZ"[(num - 1) // 20]
            variants = [("", "")]
            variants += [(l, "") for l in LETTERS.get((street, num), [])]
            variants += [("", a) for a in ADDITIONS.get((street, num), [])]
            for letter, addition in variants:
                out.write("%s%s,%d,%s,%s,%s,%s,%.6f,%.6f\n" % (pc, pair, num, letter, addition,
                                                             street, village, lat, lon))


if __name__ == "__main__":
    main()
