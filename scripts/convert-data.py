#!/usr/bin/env python3
"""Converts the two data sets of the `network` study from a scikit-learn wheel into data/.

Run once by a developer (never at run time; Python 3 standard library only):

    pip download --no-deps scikit-learn==1.9.1 -d /tmp/skl
    python3 scripts/convert-data.py /tmp/skl/scikit_learn-1.9.1-*.whl data

Reads `sklearn/datasets/data/digits.csv.gz`, `diabetes_data_raw.csv.gz` and
`diabetes_target.csv.gz` from the wheel (a zip file) and writes

    data/digits.csv     1,797 lines of 65 integers: the 64 pixel values 0-16 of an 8x8 image
                        (row by row), then the class label 0-9
    data/diabetes.csv   442 lines of 11 numbers: the 10 raw inputs (age, sex, bmi, bp, s1-s6),
                        then the disease-progression target

The format is strict: ASCII, no header, fields separated by one comma, no spaces, every line
ending in one '\n', numbers in their shortest round-trip decimal form (integers without a
decimal point). Each value is checked on the way (shape, range, integrality of the digits).
Finally the SHA-256 of each file is printed, for data/README.md.
"""
import gzip
import hashlib
import os
import sys
import zipfile

SOURCE = "sklearn/datasets/data/"


def number(text):
    x = float(text)
    if x != x or x in (float("inf"), float("-inf")):
        sys.exit(f"not a finite number: {text!r}")
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)


def read(wheel, name):
    return gzip.decompress(wheel.read(SOURCE + name)).decode("ascii").splitlines()


def write(path, rows):
    text = "".join(",".join(row) + "\n" for row in rows)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    print(f"{os.path.basename(path)}  {len(rows)} rows  {len(text.encode())} bytes  sha256 {digest}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert-data.py SCIKIT_LEARN_WHEEL OUT_DIR")
    wheel_path, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as wheel:
        digits = []
        for line in read(wheel, "digits.csv.gz"):
            fields = [number(x) for x in line.split(",")]
            values = [int(x) for x in fields]  # every field an integer
            assert len(values) == 65, line
            assert all(0 <= v <= 16 for v in values[:64]) and 0 <= values[64] <= 9, line
            digits.append(fields)
        assert len(digits) == 1797, len(digits)

        inputs = [line.split() for line in read(wheel, "diabetes_data_raw.csv.gz")]
        target = [line.split() for line in read(wheel, "diabetes_target.csv.gz")]
        assert len(inputs) == len(target) == 442
        diabetes = []
        for x, y in zip(inputs, target):
            assert len(x) == 10 and len(y) == 1, (x, y)
            diabetes.append([number(v) for v in x] + [number(y[0])])

    write(os.path.join(out, "digits.csv"), digits)
    write(os.path.join(out, "diabetes.csv"), diabetes)


if __name__ == "__main__":
    main()
