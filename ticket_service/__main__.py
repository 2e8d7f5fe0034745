from shared.service import main
from ticket_service.app import definition

main(definition)
