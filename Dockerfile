FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Fonts the PDF documents embed for Latin/Vietnamese, Thai and Chinese (docs/i18n.md).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-tlwg-loma-ttf fonts-droid-fallback \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
RUN export DJANGO_SETTINGS_MODULE=omc.settings.production DJANGO_SECRET_KEY=collectstatic-only \
    DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 \
 && python manage.py collectstatic --noinput \
 && python manage.py compile_catalogues \
 && useradd --create-home omc
USER omc
EXPOSE 8000
# gunicorn.conf.py (in /app): gthread workers, WEB_CONCURRENCY x GUNICORN_THREADS
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
