# syntax=docker/dockerfile:1
# The portal's image. Its CMD is the Procfile's `web`; compose.yaml runs the Procfile's
# `worker` and `scheduler` and the one-off migrate from the same image
# (tests/test_deployment_files.py keeps them the same). Written for Docker, but never
# built on the machines this project is developed on: they have no Docker engine.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000 \
    GUNICORN_BIND=0.0.0.0:8000

# The processes run as an unprivileged user that owns nothing in the image.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin portal

# Pango and fonts for WeasyPrint: the worker makes the PDF briefings.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# The project in place (an editable install: settings find templates/, static/ and
# locale/ beside the code); the catalogues compiled with Babel; the static files
# collected, hashed and compressed for whitenoise. The secret key of this one step
# exists only while collectstatic imports the settings; the containers get theirs
# from the environment (compose.yaml).
RUN pip install -e . \
    && for po in locale/*/LC_MESSAGES/django.po; do \
        pybabel compile -i "$po" -o "${po%.po}.mo"; \
    done \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=used-by-collectstatic-at-build-time-only \
        python manage.py collectstatic --noinput -v0

USER portal
EXPOSE 8000
# /healthz as the portal's clients ask it (scripts/healthcheck.py: their Host,
# X-Forwarded-Proto https); only the web processes answer it, so compose.yaml turns
# it off for the others.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi:application"]
