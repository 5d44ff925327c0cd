"""The smallest Flask app: the baseline bench/http_bench.py compares the site with."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
