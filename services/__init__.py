"""Tandem services: kernel, sharing, intake and the MARAC, MATAC and MAPPA services."""
