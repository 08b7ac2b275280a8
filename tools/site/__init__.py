"""The course site: the executed lessons rendered as static pages that work offline, in
both editions (build.py, ``./kit site``; ``./kit run`` renders it after the lessons).
facts.py reads a notebook's title and summary, outputs.py rewrites outputs to need no CDN,
vendor.py keeps site/vendor/ (the offline JavaScript and fonts) checked, archives.py
unpacks the packages it is refreshed from. site/README.md explains the whole.
"""
